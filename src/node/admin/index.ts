/**
 * The admin API of a node run from a home (`paw-node start`): listens on admin.listen and
 * publishes the bound address in <home>/data/admin.addr for the CLI.
 */
import type { Settings } from '../../config/settings.ts'
import type { Logger } from '../../logging.ts'
import { adminAddrPath, removeAdminAddr, writeAdminAddr } from './addr-file.ts'
import type { AdminContext } from './route-types.ts'
import { type AdminServer, startAdminServer } from './server.ts'

export { adminAddrPath, readAdminAddr } from './addr-file.ts'
export { AdminError, AdminErrorCode } from './errors.ts'
export type { AdminContext, Reply, Route, RouteRequest } from './route-types.ts'
export { ROUTES } from './routes.ts'
export type { AdminServer, AdminServerInit } from './server.ts'
export { startAdminServer } from './server.ts'

/**
 * Starts the admin API per `settings` (undefined when admin.listen is off) and writes
 * admin.addr; stop() removes the file, then stops the server.
 */
export async function startHomeAdmin(init: {
  home: string
  settings: Pick<Settings, 'adminListen' | 'adminAllowRemote'>
  context: AdminContext
  log: Logger
}): Promise<AdminServer | undefined> {
  const { home, settings, context, log } = init
  await removeAdminAddr(home)
  if (settings.adminListen === null) {
    log.info('admin API off', { setting: 'admin.listen' })
    return undefined
  }
  const server = await startAdminServer({
    listen: settings.adminListen,
    allowRemote: settings.adminAllowRemote,
    context,
    log,
  })
  try {
    await writeAdminAddr(home, server.address)
  } catch (error) {
    await server.stop()
    throw error
  }
  log.info('admin API listening', { address: server.address, file: adminAddrPath(home) })
  return {
    address: server.address,
    stop: async () => {
      await removeAdminAddr(home).catch((error) => log.warn('cannot remove admin.addr', { error }))
      await server.stop()
    },
  }
}
