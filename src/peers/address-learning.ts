/**
 * What a connection teaches the address book (issue 7): a handshaken peer of our chain
 * goes in where it can be dialled back, at the IP we saw it at (src/peers/peer-addresses.ts
 * dialBackAddress). Browser-safe.
 */
import type { Connection } from '@libp2p/interface'
import type { AddressBook } from './address-book.ts'
import { dialBackAddress } from './peer-addresses.ts'
import type { PeerRecord } from './peer-record.ts'

/** Adds `record`'s peer to `book` if it is of `chainId` and can be dialled back from `connection`. */
export function learnAddress(
  book: Pick<AddressBook, 'add'> | undefined,
  chainId: string,
  record: PeerRecord,
  connection: Connection | undefined = record.connection,
): void {
  if (book === undefined || connection === undefined || record.chainId !== chainId) return
  const where = dialBackAddress(connection.remoteAddr, record.listenAddrs, connection.direction)
  if (where === undefined) return
  book.add({
    peerId: record.peerId.toString(),
    ...where,
    chainId: record.chainId,
    source: connection.direction === 'inbound' ? 'inbound' : 'manual',
  })
}
