import prisma from "../db.server";

/** Marks the shop installed (creating it on first install). */
export async function recordInstall(domain: string, scopes: string | null) {
  const now = new Date();
  return prisma.shop.upsert({
    where: { domain },
    create: { domain, scopes, installState: "installed", installedAt: now },
    update: { scopes, installState: "installed", installedAt: now, uninstalledAt: null },
  });
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
