// The fixed product catalogue of generated stores: 200 products in 12 product types from 20 vendors.
// It does not depend on the store's seed, so every generated store sells the same things.
import { hash32 } from "./random.ts";

export const PRODUCT_TYPES = [
  "Apparel", "Footwear", "Accessories", "Home Decor", "Kitchen", "Beauty",
  "Toys", "Stationery", "Garden", "Outdoor", "Pet Supplies", "Jewelry",
] as const;

export const VENDORS = [
  "Northwind", "Bluebird Co", "Cedar & Pine", "Harbor Goods", "Lumen", "Maple Street",
  "Oak Hollow", "Pebble", "Quarry", "Red Fern", "Saltmarsh", "Tidewater",
  "Upland", "Vesper", "Willow Lane", "Yarrow", "Zephyr", "Acorn Works", "Brightside", "Copperleaf",
] as const;

const NOUNS: Record<(typeof PRODUCT_TYPES)[number], string[]> = {
  Apparel: ["T-Shirt", "Hoodie", "Linen Shirt", "Cardigan", "Rain Jacket"],
  Footwear: ["Sneaker", "Canvas Shoe", "Boot", "Sandal", "Slipper"],
  Accessories: ["Tote Bag", "Beanie", "Scarf", "Belt", "Wallet"],
  "Home Decor": ["Candle", "Throw Pillow", "Vase", "Picture Frame", "Wall Clock"],
  Kitchen: ["Mug", "Chef Knife", "Cutting Board", "Tea Towel", "Teapot"],
  Beauty: ["Face Cream", "Lip Balm", "Soap Bar", "Shampoo", "Hand Lotion"],
  Toys: ["Puzzle", "Plush Bear", "Wooden Train", "Kite", "Card Game"],
  Stationery: ["Notebook", "Fountain Pen", "Planner", "Sticker Set", "Greeting Card"],
  Garden: ["Seed Kit", "Watering Can", "Planter", "Pruner", "Bird Feeder"],
  Outdoor: ["Water Bottle", "Camp Mug", "Headlamp", "Daypack", "Picnic Blanket"],
  "Pet Supplies": ["Dog Leash", "Cat Toy", "Pet Bed", "Treat Jar", "Collar"],
  Jewelry: ["Ring", "Necklace", "Bracelet", "Earrings", "Anklet"],
};
const ADJECTIVES = ["Classic", "Organic", "Vintage", "Everyday", "Deluxe", "Mini", "Heritage", "Coastal"];
/** Typical unit price in cents per type (products vary around it). */
const BASE_PRICE: Record<(typeof PRODUCT_TYPES)[number], number> = {
  Apparel: 3800, Footwear: 7900, Accessories: 2600, "Home Decor": 3200, Kitchen: 2400, Beauty: 1800,
  Toys: 2200, Stationery: 1200, Garden: 2700, Outdoor: 4500, "Pet Supplies": 1900, Jewelry: 6400,
};

export interface CatalogueProduct {
  index: number;
  productId: bigint;
  variantId: bigint;
  title: string;
  productType: string;
  vendor: string;
  sku: string;
  priceCents: number;
}

export const PRODUCT_ID_BASE = 7_400_000_000_000n;
export const VARIANT_ID_BASE = 7_500_000_000_000n;
export const PRODUCT_COUNT = 200;

function buildCatalogue(): CatalogueProduct[] {
  const products: CatalogueProduct[] = [];
  for (let i = 0; i < PRODUCT_COUNT; i++) {
    const type = PRODUCT_TYPES[i % PRODUCT_TYPES.length];
    const slot = Math.floor(i / PRODUCT_TYPES.length);
    const h = hash32(0xca7a, i);
    // Each type is sold by a few vendors (vendor loyalty and type loyalty differ).
    const vendor = VENDORS[(i * 7 + (h % 3)) % VENDORS.length];
    const noun = NOUNS[type][slot % NOUNS[type].length];
    const adjective = ADJECTIVES[(h >>> 8) % ADJECTIVES.length];
    const factor = 0.5 + ((h >>> 16) % 1000) / 666; // 0.5 .. 2.0
    const priceCents = Math.max(199, Math.round((BASE_PRICE[type] * factor) / 100) * 100 - 1);
    products.push({
      index: i,
      productId: PRODUCT_ID_BASE + BigInt(i + 1),
      variantId: VARIANT_ID_BASE + BigInt(i + 1),
      title: `${adjective} ${noun}`,
      productType: type,
      vendor,
      sku: `SKU-${String(i + 1).padStart(4, "0")}`,
      priceCents,
    });
  }
  return products;
}

export const CATALOGUE: readonly CatalogueProduct[] = buildCatalogue();

/** Products of each type, by type index. */
export const PRODUCTS_BY_TYPE: readonly CatalogueProduct[][] = PRODUCT_TYPES.map((t) => CATALOGUE.filter((p) => p.productType === t));
/** Products of each vendor, by vendor index. */
export const PRODUCTS_BY_VENDOR: readonly CatalogueProduct[][] = VENDORS.map((v) => CATALOGUE.filter((p) => p.vendor === v));
