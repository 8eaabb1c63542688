// The few styles Polaris has no component for (data tables inside cards, the RFM grid).
export const ADMIN_CSS = `
.segsync-visually-hidden{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.segsync-data-table,.segsync-rfm{border-collapse:collapse;width:100%;font-size:0.8125rem}
.segsync-data-table th,.segsync-data-table td{padding:4px 8px;text-align:right;border-bottom:1px solid #e3e3e3}
.segsync-data-table th:first-child{text-align:left}
.segsync-data-table caption,.segsync-rfm caption{text-align:left;padding-bottom:4px}
.segsync-rfm th{padding:4px;font-weight:600;text-align:center}
.segsync-rfm td{padding:6px 4px;text-align:center;border:2px solid #fff;border-radius:6px;min-width:56px}
`;
