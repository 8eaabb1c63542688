// The admin host page that embeds the app in an iframe (as admin.shopify.com/store/<name>/apps/<handle>
// does), and a stand-in for the App Bridge script (cdn.shopify.com/shopifycloud/app-bridge.js) that
// provides what @shopify/app-bridge-react 4 and the app's AppProvider use.

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function hostParam(shop: string) {
  return Buffer.from(`admin.shopify.com/store/${shop.replace(/\.myshopify\.com$/, "")}`).toString("base64url");
}

export function appFrameUrl(opts: { appUrl: string; shop: string; idToken: string; locale?: string; path?: string }) {
  const url = new URL(opts.path ?? "/app", opts.appUrl);
  url.searchParams.set("embedded", "1");
  url.searchParams.set("hmac", "twin");
  url.searchParams.set("host", hostParam(opts.shop));
  url.searchParams.set("id_token", opts.idToken);
  url.searchParams.set("locale", opts.locale ?? "en");
  url.searchParams.set("session", "twin");
  url.searchParams.set("shop", opts.shop);
  url.searchParams.set("timestamp", String(Math.floor(Date.now() / 1000)));
  return url.toString();
}

export function adminPageHtml(opts: { shop: string; appName: string; frameUrl: string }) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(opts.appName)} · ${escapeHtml(opts.shop)} · Shopify (twin)</title>
<style>
  body { margin: 0; font-family: system-ui, sans-serif; background: #f1f1f1; }
  #twin-admin-bar { height: 48px; display: flex; align-items: center; padding: 0 16px; background: #1a1a1a; color: #fff; font-size: 14px; }
  #app-iframe { display: block; width: 100%; height: calc(100vh - 48px); border: 0; background: #fff; }
</style>
</head>
<body>
<header id="twin-admin-bar">Shopify admin (twin) · ${escapeHtml(opts.shop)} · ${escapeHtml(opts.appName)}</header>
<iframe id="app-iframe" name="app-iframe" title="${escapeHtml(opts.appName)}" src="${escapeHtml(opts.frameUrl)}"></iframe>
</body>
</html>
`;
}

/** The App Bridge stand-in, served where tests route https://cdn.shopify.com/shopifycloud/app-bridge.js. */
export function appBridgeScript(twinOrigin: string) {
  return `/* Shopify twin: App Bridge stand-in. Not Shopify's code. */
(function () {
  "use strict";
  var TWIN = ${JSON.stringify(twinOrigin)};
  var script = document.currentScript;
  var params = new URLSearchParams(location.search);
  var shop = params.get("shop") || "";
  var host = params.get("host") || "";
  var locale = params.get("locale") || "en";
  var apiKey = (script && script.getAttribute("data-api-key")) || "";
  var current = params.get("id_token");
  var currentExp = 0;
  function expOf(token) {
    try { return JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).exp * 1000; } catch (e) { return 0; }
  }
  if (current) currentExp = expOf(current);
  var nativeFetch = window.fetch.bind(window);
  function idToken() {
    if (current && currentExp - Date.now() > 10000) return Promise.resolve(current);
    return nativeFetch(TWIN + "/__twin/session-token?shop=" + encodeURIComponent(shop))
      .then(function (r) { return r.json(); })
      .then(function (j) { current = j.idToken; currentExp = expOf(current); return current; });
  }
  var toasts = [];
  function noop() {}
  function resolved(v) { return function () { return Promise.resolve(v); }; }
  window.__twinAppBridge = { toasts: toasts };
  window.shopify = {
    config: { apiKey: apiKey, shop: shop, host: host, locale: locale, disabledFeatures: [] },
    origin: location.origin,
    environment: { embedded: true, mobile: false, pos: false },
    idToken: idToken,
    user: resolved({ accountAccess: "Account owner", id: 1, name: "Twin Merchant" }),
    toast: {
      show: function (message, opts) {
        var id = "twin-toast-" + (toasts.length + 1);
        toasts.push({ id: id, message: message, isError: !!(opts && opts.isError) });
        var el = document.createElement("div");
        el.id = id; el.setAttribute("role", "status"); el.setAttribute("data-twin-toast", "");
        el.textContent = message;
        el.style.cssText = "position:fixed;bottom:16px;left:50%;transform:translateX(-50%);background:#1a1a1a;color:#fff;padding:8px 16px;border-radius:8px;z-index:9999";
        (document.body || document.documentElement).appendChild(el);
        setTimeout(function () { el.remove(); }, (opts && opts.duration) || 5000);
        return id;
      },
      hide: function (id) { var el = document.getElementById(id); if (el) el.remove(); }
    },
    loading: noop,
    modal: { show: resolved(undefined), hide: resolved(undefined), toggle: resolved(undefined) },
    saveBar: { show: resolved(undefined), hide: resolved(undefined), toggle: resolved(undefined), leaveConfirmation: resolved(undefined) },
    resourcePicker: resolved(undefined),
    intents: { invoke: resolved({ complete: Promise.resolve({ code: "closed" }) }), register: noop },
    scopes: {
      query: resolved({ granted: [], required: [], optional: [] }),
      request: resolved({ result: "granted-all", detail: { granted: [], required: [], optional: [] } }),
      revoke: resolved({ detail: { granted: [], required: [], optional: [] } })
    },
    support: { registerHandler: resolved(undefined) },
    reviews: { request: resolved({ success: false, code: "mobile-app", message: "twin" }) },
    webVitals: { onReport: resolved(undefined) },
    app: { extensions: resolved([]) },
    visibility: { visible: true },
    print: noop
  };
  // App Bridge adds the session token to the app's own fetch calls.
  window.fetch = function (input, init) {
    var url;
    try { url = new URL(typeof input === "string" ? input : (input && input.url) || String(input), location.href); } catch (e) { return nativeFetch(input, init); }
    if (url.origin !== location.origin) return nativeFetch(input, init);
    return idToken().then(function (token) {
      var opts = Object.assign({}, init || {});
      var headers = new Headers(opts.headers || (input instanceof Request ? input.headers : undefined));
      if (!headers.has("Authorization")) headers.set("Authorization", "Bearer " + token);
      opts.headers = headers;
      return nativeFetch(input, opts);
    });
  };
  // App Bridge moves these into the admin's own chrome; inside the frame they render nothing.
  var style = document.createElement("style");
  style.textContent = "ui-nav-menu, ui-title-bar, ui-modal, ui-save-bar { display: none !important; }";
  (document.head || document.documentElement).appendChild(style);
  ["ui-nav-menu", "ui-title-bar", "ui-modal", "ui-save-bar"].forEach(function (name) {
    if (!customElements.get(name)) customElements.define(name, class extends HTMLElement {});
  });
})();
`;
}
