/**
 * The address book as saved (the home's address book file, through a JsonStore): the
 * document's shape, and each entry converted to it and checked back field by field, for
 * the file may be old, edited or damaged. Browser-safe.
 */
import type { AddressBookDocument, StoredAddressEntry } from '../api/stores.ts'
import { ADDRESS_SOURCES, type AddressEntry, type AddressSource } from './address-entry.ts'

export type { AddressBookDocument, StoredAddressEntry }

export function toStored(entry: AddressEntry): StoredAddressEntry {
  const stored: StoredAddressEntry = {
    peerId: entry.peerId,
    ip: entry.ip,
    port: entry.port,
    source: entry.source,
    firstSeen: entry.firstSeen,
    lastSeen: entry.lastSeen,
    failures: entry.failures,
    connectedMs: entry.connectedMs,
  }
  if (entry.chainId !== undefined) stored.chainId = entry.chainId
  if (entry.lastAttempt !== undefined) stored.lastAttempt = entry.lastAttempt
  if (entry.lastSuccess !== undefined) stored.lastSuccess = entry.lastSuccess
  if (entry.rttMs !== undefined) stored.rttMs = entry.rttMs
  if (entry.wrongChain) stored.wrongChain = true
  return stored
}

/** A stored entry checked field by field (the file may be old, edited or damaged); undefined if any is wrong. */
export function fromStored(value: unknown): AddressEntry | undefined {
  if (!isRecord(value)) return undefined
  const { peerId, ip, port, chainId, source, firstSeen, lastSeen, lastAttempt, lastSuccess } = value
  const { failures, rttMs, connectedMs, wrongChain } = value
  if (
    typeof peerId !== 'string' ||
    typeof ip !== 'string' ||
    typeof port !== 'number' ||
    !(chainId === undefined || typeof chainId === 'string') ||
    !ADDRESS_SOURCES.includes(source as AddressSource) ||
    !isTime(firstSeen) ||
    !isTime(lastSeen) ||
    !(lastAttempt === undefined || isTime(lastAttempt)) ||
    !(lastSuccess === undefined || isTime(lastSuccess)) ||
    !(typeof failures === 'number' && Number.isSafeInteger(failures) && failures >= 0) ||
    !(rttMs === undefined || isNonNegative(rttMs)) ||
    !isNonNegative(connectedMs) ||
    !(wrongChain === undefined || typeof wrongChain === 'boolean')
  ) {
    return undefined
  }
  return {
    peerId,
    ip,
    port,
    chainId,
    source: source as AddressSource,
    firstSeen,
    lastSeen,
    lastAttempt,
    lastSuccess,
    failures,
    rttMs,
    connectedMs,
    wrongChain: wrongChain ?? false,
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value)
}

function isNonNegative(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
}
