// The RFM grid of the whole customer base: recency (rows, 5 = most recent) by frequency (columns),
// shaded by share; a real table so assistive technology reads it cell by cell.
import { Text } from "@shopify/polaris";
import { useFormat, useT } from "./i18n";

// Solid shades (text contrast above 4.5:1 on each): empty, then quartiles of the largest cell.
const SHADES = ["#f4f6f8", "#e0ebff", "#b8d0ff", "#7ea8ff", "#1f4fbf"];

export function RfmGrid({ cells, total }: { cells: { r: number; f: number; customers: number }[]; total: number }) {
  const t = useT();
  const fmt = useFormat();
  const max = Math.max(1, ...cells.map((c) => c.customers));
  const at = (r: number, f: number) => cells.find((c) => c.r === r && c.f === f)?.customers ?? 0;
  const scores = [1, 2, 3, 4, 5];
  return (
    <table className="segsync-rfm">
      <caption><Text as="span" variant="bodySm" tone="subdued">{t("overview.rfm.caption")}</Text></caption>
      <thead>
        <tr>
          <th scope="col">{t("overview.rfm.corner")}</th>
          {scores.map((f) => <th key={f} scope="col">{t("overview.rfm.f", { score: f })}</th>)}
        </tr>
      </thead>
      <tbody>
        {[...scores].reverse().map((r) => (
          <tr key={r}>
            <th scope="row">{t("overview.rfm.r", { score: r })}</th>
            {scores.map((f) => {
              const n = at(r, f);
              const share = total > 0 ? n / total : 0;
              const level = n === 0 ? 0 : Math.min(4, Math.ceil((n / max) * 4));
              return (
                <td key={f} style={{ background: SHADES[level], color: level === 4 ? "#ffffff" : "#1a1a1a" }}>
                  <span>{fmt.number(n)}</span>
                  <br />
                  <span style={{ fontSize: "0.75rem" }}>{fmt.percent(share)}</span>
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
