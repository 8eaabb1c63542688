import pg from "pg";

/**
 * A normalized description of the public schema (columns, indexes, constraints), so two databases
 * built different ways can be compared. Prisma's own diff cannot read a live database without its
 * native engine here, so we read the catalogs ourselves.
 */
export async function describeSchema(url: string, ignoreTables: string[] = []): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // Partitions of a partitioned table (pixel_events' day tables) are data, not schema: Prisma
    // models only the parent. Its indexes print as "ON ONLY parent", the same index otherwise.
    const partitions = await client.query<{ name: string }>(
      "select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relispartition",
    );
    const ignore = [...(ignoreTables.length ? ignoreTables : ["_prisma_migrations"]), ...partitions.rows.map((r) => r.name)];
    const columns = await client.query(
      `select table_name, column_name, data_type, udt_name, is_nullable,
              coalesce(regexp_replace(column_default, '_seq''?::regclass', '', 'g'), '') as dflt,
              coalesce(character_maximum_length, 0) as len,
              coalesce(numeric_precision, 0) as prec, coalesce(numeric_scale, 0) as scale,
              coalesce(datetime_precision, 0) as dtprec
         from information_schema.columns
        where table_schema = 'public' and not (table_name = any($1))
        order by table_name, column_name`,
      [[...ignore, "_prisma_migrations"]],
    );
    const indexes = await client.query(
      `select tablename, indexname, replace(replace(indexdef, 'public.', ''), ' ON ONLY ', ' ON ') as def
         from pg_indexes where schemaname = 'public' and not (tablename = any($1))
        order by tablename, indexname`,
      [[...ignore, "_prisma_migrations"]],
    );
    const constraints = await client.query(
      `select c.conrelid::regclass::text as tbl, c.conname, pg_get_constraintdef(c.oid) as def
         from pg_constraint c join pg_namespace n on n.oid = c.connamespace
        where n.nspname = 'public' and not (c.conrelid::regclass::text = any($1))
        order by 1, 2`,
      [[...ignore, "_prisma_migrations"]],
    );
    return [
      ...columns.rows.map((r) => `column ${r.table_name}.${r.column_name} ${r.data_type}/${r.udt_name} null=${r.is_nullable} default=${r.dflt} len=${r.len} num=${r.prec},${r.scale} dt=${r.dtprec}`),
      ...indexes.rows.map((r) => `index ${r.tablename}.${r.indexname} ${r.def}`),
      ...constraints.rows.map((r) => `constraint ${r.tbl}.${r.conname} ${r.def}`),
    ];
  } finally {
    await client.end();
  }
}
