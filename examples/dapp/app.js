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

  const render = () => {
    const tip = node.chainTip()
    if (tip !== undefined) {
      $('tip-height').textContent = String(tip.height)
      $('tip-hash').textContent = toHex(tip.hash)
    }
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
  render()
  setInterval(render, 500)

  $('fetch-form').addEventListener('submit', async (event) => {
    event.preventDefault()
    try {
      const block = await node.fetchBlock(fromHex($('fetch-hash').value.trim()))
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
 * Watches for the block that includes `id`: a light node holds headers only, so each new
 * header (gossiped, or the tip after a sync) has its block fetched by hash and searched.
 */
function watchForInclusion(node, id) {
  const seen = new Set()
  const check = async (hash) => {
    const key = toHex(hash)
    if (seen.has(key)) return
    seen.add(key)
    const block = await node.fetchBlock(hash).catch(() => undefined)
    if (block?.transactions.some((tx) => toHex(txHash(tx)) === id)) {
      clearInterval(timer)
      node.removeEventListener('header', onHeader)
      show('send-result', `mined: ${id} is in block ${block.header.height}`)
      $('send-result').dataset.minedIn = String(block.header.height)
    }
  }
  const onHeader = (event) => void check(fromHex(event.detail.hash))
  node.addEventListener('header', onHeader)
  const timer = setInterval(() => {
    const tip = node.chainTip()
    if (tip !== undefined) void check(tip.hash)
  }, 500)
}

main().catch((error) => show('status', String(error?.stack ?? error), true))
