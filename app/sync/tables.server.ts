import type pg from "pg";

/** Public tables having all of the given columns (so tables added later by other areas are covered). */
export async function tablesWithColumns(db: pg.ClientBase, columns: string[]): Promise<string[]> {
  const r = await db.query<{ table_name: string }>(
    `select c.table_name from information_schema.columns c
       join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
      where c.table_schema = 'public' and c.column_name = any($1)
      group by c.table_name having count(distinct c.column_name) = $2
      order by c.table_name`,
    [columns, columns.length],
  );
  return r.rows.map((x) => x.table_name);
}

export const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;
