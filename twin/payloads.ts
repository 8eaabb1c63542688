// Webhook bodies in Shopify's REST shape (compare ../shared/data/shopify-webhooks/*.json). Ids are
// bigints here and are written as exact JSON integers by stringifyExact.
import {
  fromCents,
  iso,
  refundedCents,
  toCents,
  type CustomerRecord,
  type OrderRecord,
  type RefundRecord,
} from "./store.ts";

export interface ShopInfo {
  id: bigint;
  domain: string;
  name: string;
  currency: string;
  timezone: string;
  email: string;
  planName: string;
  planDisplayName: string;
}

function moneySet(amount: string, currency: string) {
  return {
    shop_money: { amount, currency_code: currency },
    presentment_money: { amount, currency_code: currency },
  };
}

const gid = (type: string, id: bigint) => `gid://shopify/${type}/${id}`;

export function customerPayload(shop: ShopInfo, c: CustomerRecord) {
  return {
    id: c.id,
    created_at: iso(c.createdAt),
    updated_at: iso(c.updatedAt),
    first_name: c.firstName,
    last_name: c.lastName,
    state: c.state,
    note: null,
    verified_email: true,
    multipass_identifier: null,
    tax_exempt: false,
    email: c.email,
    phone: null,
    currency: shop.currency,
    addresses: [],
    tax_exemptions: [],
    admin_graphql_api_id: gid("Customer", c.id),
    default_address: null,
  };
}

export function customerDeletePayload(id: bigint) {
  return { id, tax_exemptions: [], admin_graphql_api_id: gid("Customer", id) };
}

export function customerTagsPayload(customerId: bigint, tags: string[], occurredAt: number) {
  return { customerId: gid("Customer", customerId), tags, occurredAt: iso(occurredAt) };
}

function orderCustomer(shop: ShopInfo, c: CustomerRecord | undefined) {
  if (!c) return null;
  return {
    id: c.id,
    created_at: iso(c.createdAt),
    updated_at: iso(c.updatedAt),
    first_name: c.firstName,
    last_name: c.lastName,
    state: c.state,
    note: null,
    verified_email: true,
    multipass_identifier: null,
    tax_exempt: false,
    email: c.email,
    phone: null,
    currency: shop.currency,
    tax_exemptions: [],
    admin_graphql_api_id: gid("Customer", c.id),
    default_address: null,
  };
}

function refundBody(shop: ShopInfo, order: OrderRecord, r: RefundRecord) {
  const cur = order.currency;
  return {
    id: r.id,
    order_id: order.id,
    created_at: iso(r.createdAt),
    note: r.note,
    user_id: null,
    processed_at: iso(r.createdAt),
    duties: [],
    total_duties_set: moneySet("0.00", cur),
    return: null,
    restock: false,
    refund_shipping_lines: [],
    admin_graphql_api_id: gid("Refund", r.id),
    order_adjustments: [],
    refund_line_items: r.lineItems.map((rl, i) => {
      const li = order.lineItems.find((l) => l.id === rl.lineItemId);
      return {
        id: r.id * 1000n + BigInt(i),
        quantity: rl.quantity,
        line_item_id: rl.lineItemId,
        location_id: null,
        restock_type: "no_restock",
        subtotal: Number(rl.subtotal),
        total_tax: 0,
        subtotal_set: moneySet(rl.subtotal, cur),
        total_tax_set: moneySet("0.00", cur),
        line_item: li ? lineItemBody(order, li.id) : null,
      };
    }),
    transactions: [
      {
        id: r.id + 1n,
        order_id: order.id,
        kind: "refund",
        gateway: "bogus",
        status: "success",
        message: null,
        created_at: iso(r.createdAt),
        test: order.test,
        authorization: null,
        location_id: null,
        user_id: null,
        parent_id: null,
        processed_at: iso(r.createdAt),
        device_id: null,
        error_code: null,
        source_name: "web",
        receipt: {},
        amount: r.amount,
        currency: cur,
        payment_id: `#${order.id}.2`,
        total_unsettled_set: moneySet("0.00", cur),
        manual_payment_gateway: false,
        amount_rounding: null,
        admin_graphql_api_id: gid("OrderTransaction", r.id + 1n),
      },
    ],
  };
}

function lineItemBody(order: OrderRecord, lineItemId: bigint) {
  const li = order.lineItems.find((l) => l.id === lineItemId)!;
  const cur = order.currency;
  return {
    id: li.id,
    admin_graphql_api_id: gid("LineItem", li.id),
    attributed_staffs: [],
    current_quantity: li.quantity,
    fulfillable_quantity: li.quantity,
    fulfillment_service: "manual",
    fulfillment_status: null,
    gift_card: false,
    grams: 0,
    name: li.title,
    price: li.price,
    price_set: moneySet(li.price, cur),
    product_exists: li.productId !== null,
    product_id: li.productId,
    properties: [],
    quantity: li.quantity,
    requires_shipping: true,
    sales_line_item_group_id: null,
    sku: li.sku,
    taxable: true,
    title: li.title,
    total_discount: "0.00",
    total_discount_set: moneySet("0.00", cur),
    variant_id: li.variantId,
    variant_inventory_management: null,
    variant_title: null,
    vendor: li.vendor,
    tax_lines: [],
    duties: [],
    discount_allocations: [],
  };
}

/** An order as orders/create, orders/updated, orders/paid and orders/cancelled carry it. */
export function orderPayload(shop: ShopInfo, order: OrderRecord, customer: CustomerRecord | undefined) {
  const cur = order.currency;
  const refunded = refundedCents(order);
  const currentTotal = fromCents(Math.max(0, toCents(order.totalPrice) - refunded));
  const lineItemsTotal = fromCents(order.lineItems.reduce((s, li) => s + toCents(li.price) * li.quantity, 0));
  const number = Number(order.name.replace(/\D/g, "")) || 1;
  return {
    id: order.id,
    admin_graphql_api_id: gid("Order", order.id),
    app_id: null,
    browser_ip: null,
    buyer_accepts_marketing: false,
    cancel_reason: order.cancelReason,
    cancelled_at: order.cancelledAt === null ? null : iso(order.cancelledAt),
    cart_token: null,
    checkout_token: null,
    client_details: null,
    closed_at: null,
    confirmation_number: null,
    confirmed: true,
    contact_email: customer?.email ?? null,
    created_at: iso(order.createdAt),
    currency: cur,
    current_shipping_price_set: moneySet("0.00", cur),
    current_subtotal_price: fromCents(Math.max(0, toCents(order.subtotalPrice) - refunded)),
    current_subtotal_price_set: moneySet(fromCents(Math.max(0, toCents(order.subtotalPrice) - refunded)), cur),
    current_total_additional_fees_set: null,
    current_total_discounts: order.totalDiscounts,
    current_total_discounts_set: moneySet(order.totalDiscounts, cur),
    current_total_duties_set: null,
    current_total_price: currentTotal,
    current_total_price_set: moneySet(currentTotal, cur),
    current_total_tax: "0.00",
    current_total_tax_set: moneySet("0.00", cur),
    customer_locale: "en",
    device_id: null,
    discount_codes: order.discountCodes.map((code) => ({ code, amount: order.totalDiscounts, type: "fixed_amount" })),
    duties_included: false,
    email: customer?.email ?? "",
    estimated_taxes: false,
    financial_status: order.financialStatus,
    fulfillment_status: null,
    landing_site: null,
    landing_site_ref: null,
    location_id: null,
    merchant_business_entity_id: "MTU0ODM4MDAwOQ",
    merchant_of_record_app_id: null,
    name: order.name,
    note: null,
    note_attributes: [],
    number,
    order_number: 1000 + number,
    order_status_url: `https://${shop.domain}/${shop.id}/orders/${order.id}/authenticate?key=twin`,
    original_total_additional_fees_set: null,
    original_total_duties_set: null,
    payment_gateway_names: ["bogus"],
    phone: null,
    po_number: null,
    presentment_currency: cur,
    processed_at: iso(order.processedAt),
    reference: null,
    referring_site: null,
    source_identifier: null,
    source_name: "web",
    source_url: null,
    subtotal_price: order.subtotalPrice,
    subtotal_price_set: moneySet(order.subtotalPrice, cur),
    tags: order.tags.join(", "),
    tax_exempt: false,
    tax_lines: [],
    taxes_included: false,
    test: order.test,
    token: `twin${order.id}`,
    total_cash_rounding_payment_adjustment_set: moneySet("0.00", cur),
    total_cash_rounding_refund_adjustment_set: moneySet("0.00", cur),
    total_discounts: order.totalDiscounts,
    total_discounts_set: moneySet(order.totalDiscounts, cur),
    total_line_items_price: lineItemsTotal,
    total_line_items_price_set: moneySet(lineItemsTotal, cur),
    total_outstanding: order.financialStatus === "pending" || order.financialStatus === "authorized" ? order.totalPrice : "0.00",
    total_price: order.totalPrice,
    total_price_set: moneySet(order.totalPrice, cur),
    total_shipping_price_set: moneySet("0.00", cur),
    total_tax: "0.00",
    total_tax_set: moneySet("0.00", cur),
    total_tip_received: "0.00",
    total_weight: 0,
    updated_at: iso(order.updatedAt),
    user_id: null,
    billing_address: null,
    customer: orderCustomer(shop, customer),
    discount_applications: order.discountCodes.map((code) => ({
      target_type: "line_item",
      type: "discount_code",
      value: order.totalDiscounts,
      value_type: "fixed_amount",
      allocation_method: "across",
      target_selection: "all",
      code,
    })),
    fulfillments: [],
    line_items: order.lineItems.map((li) => lineItemBody(order, li.id)),
    payment_terms: null,
    refunds: order.refunds.map((r) => refundBody(shop, order, r)),
    shipping_address: null,
    shipping_lines: [],
    returns: [],
    line_item_groups: [],
  };
}

export function refundPayload(shop: ShopInfo, order: OrderRecord, refund: RefundRecord) {
  return refundBody(shop, order, refund);
}

export function bulkFinishPayload(op: { id: bigint; completedAt: number | null; createdAt: number; errorCode: string | null; status: string; type: string }) {
  return {
    admin_graphql_api_id: gid("BulkOperation", op.id),
    completed_at: op.completedAt === null ? null : iso(op.completedAt),
    created_at: iso(op.createdAt),
    error_code: op.errorCode ? op.errorCode.toLowerCase() : null,
    status: op.status.toLowerCase(),
    type: op.type.toLowerCase(),
  };
}

export function shopPayload(shop: ShopInfo) {
  return {
    id: shop.id,
    name: shop.name,
    email: shop.email,
    domain: shop.domain,
    province: null,
    country: "US",
    address1: null,
    zip: null,
    city: null,
    source: null,
    phone: null,
    latitude: null,
    longitude: null,
    primary_locale: "en",
    address2: null,
    created_at: null,
    updated_at: null,
    country_code: "US",
    country_name: "United States",
    currency: shop.currency,
    customer_email: shop.email,
    timezone: `(GMT+00:00) ${shop.timezone}`,
    iana_timezone: shop.timezone,
    shop_owner: "Twin Owner",
    money_format: "${{amount}}",
    money_with_currency_format: `\${{amount}} ${shop.currency}`,
    weight_unit: "kg",
    province_code: null,
    taxes_included: false,
    auto_configure_tax_inclusivity: null,
    tax_shipping: null,
    county_taxes: true,
    plan_display_name: shop.planDisplayName,
    plan_name: shop.planName,
    has_discounts: false,
    has_gift_cards: false,
    myshopify_domain: shop.domain,
    google_apps_domain: null,
    google_apps_login_enabled: null,
    money_in_emails_format: "${{amount}}",
    money_with_currency_in_emails_format: `\${{amount}} ${shop.currency}`,
    eligible_for_payments: true,
    requires_extra_payments_agreement: false,
    password_enabled: false,
    has_storefront: true,
    finances: true,
    primary_location_id: null,
    checkout_api_supported: true,
    multi_location_enabled: true,
    setup_required: false,
    pre_launch_enabled: false,
    enabled_presentment_currencies: [shop.currency],
    marketing_sms_consent_enabled_at_checkout: false,
    transactional_sms_disabled: false,
  };
}

export function customersRedactPayload(shop: ShopInfo, customer: CustomerRecord | { id: bigint; email: string | null }, orderIds: bigint[]) {
  return {
    shop_id: shop.id,
    shop_domain: shop.domain,
    customer: { id: customer.id, email: customer.email, phone: null },
    orders_to_redact: orderIds,
  };
}

export function customersDataRequestPayload(shop: ShopInfo, customer: CustomerRecord, orderIds: bigint[], requestId: bigint) {
  return {
    shop_id: shop.id,
    shop_domain: shop.domain,
    customer: { id: customer.id, email: customer.email, phone: null },
    orders_requested: orderIds,
    data_request: { id: requestId },
  };
}

export function shopRedactPayload(shop: ShopInfo) {
  return { shop_id: shop.id, shop_domain: shop.domain };
}
