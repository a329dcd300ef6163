// The example dApp: the browser bundle of paw-node (dist/browser/paw-node.js, built by
// `npm run build:browser`) as a light node. Headers are kept in IndexedDB, so a reload
// resumes from the stored tip. Plain ES modules, no framework.
import {
  createPawNode,
  devnetAccount,
  fromHex,
  IndexedDbBlockStore,
  signTransaction,
  toHex,
  txHash,
} from './paw-node.js'

const $ = (id) => document.getElementById(id)
const params = new URLSearchParams(location.search)
const peer = params.get('peer')
const chainId = params.get('chain') ?? 'paw-devnet'

function show(id, text, isError = false) {
  $(id).textContent = text
  $(id).classList.toggle('error', isError)
}

async function main() {
  if (peer === null) {
    show('status', 'no peer: add ?peer=/ip4/127.0.0.1/tcp/26657/ws/p2p/<id> to the address', true)
    return
  }
  const node = await createPawNode({
    type: 'light',
    chainId,
    bootstrap: [peer],
    headerStore: new IndexedDbBlockStore(`paw-${chainId}-headers`),
    limits: { minOutbound: 1 },
    logLevel: 'warn',
  })
  window.pawNode = node
  await node.start()
  show('status', 'started')

  // The tip as it moves (headers synced, gossiped, or a reorg): the node says so, no polling.
  const renderTip = (tip) => {
    $('tip-height').textContent = String(tip.height)
    $('tip-hash').textContent = tip.hash
  }
  const stored = node.chainTip() // where the headers kept in IndexedDB left off
  if (stored !== undefined) renderTip(stored)
  node.addEventListener('tip', (event) => renderTip(event.detail))

  const renderPeers = () => {
    const connected = node.peers().filter((p) => p.state === 'connected')
    $('peers').replaceChildren(
      ...connected.map((p) => {
        const li = document.createElement('li')
        li.className = 'mono'
        li.textContent = `${p.peerId} ${p.direction} ${p.remoteAddr ?? ''}`
        return li
      }),
    )
    show('status', connected.length > 0 ? `connected to ${connected.length} peer(s)` : 'connecting…')
  }
  renderPeers()
  node.addEventListener('peer:connected', renderPeers)
  node.addEventListener('peer:disconnected', renderPeers)

  $('fetch-form').addEventListener('submit', async (event) => {
    event.preventDefault()
    try {
      const block = await node.fetchBlock($('fetch-hash').value.trim())
      show(
        'fetch-result',
        block === undefined
          ? 'not found'
          : `block ${block.header.height}: ${block.transactions.length} transaction(s), txRoot ${toHex(block.header.txRoot)}`,
      )
    } catch (error) {
      show('fetch-result', String(error), true)
    }
  })

  $('send-form').addEventListener('submit', async (event) => {
    event.preventDefault()
    try {
      const from = devnetAccount(Number($('send-from').value))
      const nonce = BigInt(params.get('nonce') ?? '0')
      const transaction = signTransaction(
        {
          from: from.address,
          to: fromHex($('send-to').value.trim()),
          amount: BigInt($('send-amount').value),
          fee: 10_000n,
          nonce,
        },
        from.privateKey,
        chainId,
      )
      const result = await node.submitTransaction(transaction)
      show('send-result', `sent ${result.id} to ${result.recipients} peer(s); waiting for a block…`)
      watchForInclusion(node, result.id)
    } catch (error) {
      show('send-result', String(error), true)
    }
  })
}

/**
 * Watches for the block that includes `id`: a light node holds headers only, so each
 * header joining its chain (gossiped or synced) has its block fetched by hash and searched.
 */
function watchForInclusion(node, id) {
  const seen = new Set()
  const check = async (hash) => {
    if (seen.has(hash)) return
    seen.add(hash)
    const block = await node.fetchBlock(hash).catch(() => undefined)
    if (block?.transactions.some((tx) => toHex(txHash(tx)) === id)) {
      node.removeEventListener('header', onHeader)
      show('send-result', `mined: ${id} is in block ${block.header.height}`)
      $('send-result').dataset.minedIn = String(block.header.height)
    }
  }
  const onHeader = (event) => void check(event.detail.hash)
  node.addEventListener('header', onHeader)
}

main().catch((error) => show('status', String(error?.stack ?? error), true))
