import prisma from "../db.server";

/** Marks the shop installed (creating it on first install). */
export async function recordInstall(domain: string, scopes: string | null) {
  const now = new Date();
  const before = await prisma.shop.findUnique({ where: { domain }, select: { installState: true } });
  const shop = await prisma.shop.upsert({
    where: { domain },
    create: { domain, scopes, installState: "installed", installedAt: now },
    update: { scopes, installState: "installed", installedAt: now, uninstalledAt: null },
  });
  if (before && before.installState !== "installed") {
    // A reinstall: a sync run still active from before the uninstall exported before the gap (and
    // the webhooks of the gap were ignored), so it cannot catch up. It is superseded, so that the
    // catch-up run afterAuth enqueues is a new one covering everything since the last completed run.
    await prisma.syncRun.updateMany({
      where: { shopId: shop.id, status: { in: ["queued", "exporting", "loading", "merging"] } },
      data: { status: "failed", error: "superseded: the app was reinstalled", finishedAt: now },
    });
  }
  return shop;
}

/** Removes the shop's sessions and marks it uninstalled; its data stays until shop/redact. */
export async function recordUninstall(domain: string) {
  await prisma.$transaction([
    prisma.session.deleteMany({ where: { shop: domain } }),
    prisma.shop.updateMany({
      where: { domain },
      data: { installState: "uninstalled", uninstalledAt: new Date() },
    }),
  ]);
}

export async function recordScopes(domain: string, scopes: string[]) {
  const scope = scopes.join(",");
  await prisma.$transaction([
    prisma.session.updateMany({ where: { shop: domain }, data: { scope } }),
    prisma.shop.updateMany({ where: { domain }, data: { scopes: scope } }),
  ]);
}

export async function findInstalledShop(domain: string) {
  return prisma.shop.findFirst({ where: { domain, installState: "installed" } });
}
