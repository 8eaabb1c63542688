// Segment sizes over time. The chart is @shopify/polaris-viz, loaded in the browser only (it measures
// the DOM, so it cannot render on the server); a data table carries the same numbers for screen
// readers and is what the server renders before the chart mounts.
import { lazy, Suspense, useEffect, useState } from "react";
import { Text } from "@shopify/polaris";
import { useFormat, useT } from "./i18n";

export interface ChartSeries {
  name: string;
  points: { day: string; value: number }[];
}

const VizLineChart = lazy(async () => {
  const viz = await import("@shopify/polaris-viz");
  return {
    default: function VizChart({ series }: { series: ChartSeries[] }) {
      // The drawing is for sighted users; assistive technology reads the data table beside it
      // (polaris-viz's SVG roles do not pass axe), so the drawing is inert and hidden from it.
      return (
        <viz.PolarisVizProvider>
          <div style={{ height: 260 }} aria-hidden="true" {...{ inert: "" }}>
            <viz.LineChart
              theme="Light"
              isAnimated={false}
              data={series.map((s) => ({ name: s.name, data: s.points.map((p) => ({ key: p.day, value: p.value })) }))}
            />
          </div>
        </viz.PolarisVizProvider>
      );
    },
  };
});

function useMounted() {
  const [mounted, setMounted] = useState(false);
  useEffect(() => setMounted(true), []);
  return mounted;
}

export function SizeChart({ series, label }: { series: ChartSeries[]; label: string }) {
  const mounted = useMounted();
  const t = useT();
  const fmt = useFormat();
  const days = [...new Set(series.flatMap((s) => s.points.map((p) => p.day)))].sort();
  const recent = days.slice(-7);
  const table = (
    <table className="segsync-data-table">
      <caption><Text as="span" visuallyHidden={mounted}>{label}</Text></caption>
      <thead>
        <tr>
          <th scope="col">{t("chart.day")}</th>
          {series.map((s) => <th key={s.name} scope="col">{s.name}</th>)}
        </tr>
      </thead>
      <tbody>
        {recent.map((day) => (
          <tr key={day}>
            <th scope="row">{fmt.date(`${day}T00:00:00Z`)}</th>
            {series.map((s) => {
              const p = s.points.find((x) => x.day === day);
              return <td key={s.name}>{p ? fmt.number(p.value) : "–"}</td>;
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
  if (!mounted) return table;
  return (
    <div>
      <Suspense fallback={<div style={{ height: 260 }} />}>
        <VizLineChart series={series} />
      </Suspense>
      <div className="segsync-visually-hidden">{table}</div>
    </div>
  );
}
