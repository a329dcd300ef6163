// The example dApp: a wallet on the browser bundle of paw-node (dist/browser/paw-node.js,
// built by `npm run build:browser`) running as a light node. It trusts no server: the
// balance and nonce come from full nodes over /paw/state/1 with a proof checked against a
// header this page holds (getAccount), and each payment is followed into the chain with an
// inclusion proof (waitForTransaction). Everything moves on the node's events; nothing polls.
// Headers are kept in IndexedDB and the payments sent in localStorage, so a reload resumes.
// Plain ES modules, no framework.
import {
  createPawNode,
  devnetAccount,
  formatPaw,
  fromHex,
  IndexedDbBlockStore,
  parsePaw,
  signTransaction,
  toHex,
} from './paw-node.js'

const $ = (id) => document.getElementById(id)
const params = new URLSearchParams(location.search)
const peer = params.get('peer')
const chainId = params.get('chain') ?? 'paw-devnet'
/** Blocks on top of a payment, its own counted, before the page calls it confirmed. */
const CONFIRMATIONS = Number(params.get('confirmations') ?? '3')
const SENT_KEY = `paw-wallet-${chainId}-sent`

function show(id, text, isError = false) {
  $(id).textContent = text
  $(id).classList.toggle('error', isError)
}

/** Payments this page sent and has not seen confirmed: survive a reload. */
function loadSent() {
  try {
    return JSON.parse(localStorage.getItem(SENT_KEY) ?? '[]')
  } catch {
    return []
  }
}
function saveSent(sent) {
  localStorage.setItem(SENT_KEY, JSON.stringify(sent))
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

  const wallet = () => devnetAccount(Number($('wallet-account').value))
  let sent = loadSent()

  // The tip as it moves (headers synced, gossiped, or a reorg): the node says so.
  const renderTip = (tip) => {
    $('tip-height').textContent = String(tip.height)
    $('tip-hash').textContent = tip.hash
  }
  const stored = node.chainTip() // where the headers kept in IndexedDB left off
  if (stored !== undefined) renderTip(stored)

  // The wallet's account, verified against the tip's header, read again at each new tip.
  let reading = false
  let readAgain = false
  const renderAccount = async () => {
    if (reading) {
      readAgain = true
      return
    }
    reading = true
    try {
      do {
        readAgain = false
        const { address } = wallet()
        $('wallet-address').textContent = toHex(address)
        try {
          const read = await node.getAccount(address)
          $('balance').textContent = formatPaw(read.account.balance)
          $('balance').dataset.units = String(read.account.balance)
          $('nonce').textContent = String(read.account.nonce)
          $('account-at').textContent =
            `block ${read.height} (${read.blockHash.slice(0, 16)}…), proof from ${read.peer ?? 'this node'}`
          $('account-at').dataset.height = String(read.height)
          $('account-at').classList.remove('error')
        } catch (error) {
          show('account-at', `not read yet: ${error.message}`, true)
        }
      } while (readAgain)
    } finally {
      reading = false
    }
  }
  node.addEventListener('tip', (event) => {
    renderTip(event.detail)
    void renderAccount()
  })
  $('wallet-account').addEventListener('change', () => void renderAccount())

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
    if (connected.length > 0) void renderAccount()
  }
  renderPeers()
  node.addEventListener('peer:connected', renderPeers)
  node.addEventListener('peer:disconnected', renderPeers)

  // One line per payment, kept up to date by waitForTransaction's progress.
  const follow = (payment) => {
    let li = document.querySelector(`li[data-id="${payment.id}"]`)
    if (li === null) {
      li = document.createElement('li')
      li.className = 'mono'
      li.dataset.id = payment.id
      $('payments').prepend(li)
    }
    const line = (text) => {
      li.textContent = `${payment.amount} PAW to ${payment.to.slice(0, 12)}… (nonce ${payment.nonce}): ${text}`
    }
    line('sent, waiting for a block…')
    li.dataset.status = 'pending'
    node
      .waitForTransaction(payment.id, {
        confirmations: CONFIRMATIONS,
        onProgress: (progress) => {
          li.dataset.status = progress.status
          if (progress.status === 'included') {
            li.dataset.confirmations = String(progress.confirmations)
            line(`in block ${progress.height}, ${progress.confirmations} of ${CONFIRMATIONS} confirmations`)
          } else if (progress.status === 'reorged-out') {
            line(`its block ${progress.height} left the chain; waiting for it again…`)
          } else {
            line(progress.status === 'pending' ? 'pending in the network' : 'not seen yet…')
          }
        },
      })
      .then(
        (done) => {
          li.dataset.status = 'confirmed'
          li.dataset.confirmations = String(done.confirmations)
          line(`confirmed in block ${done.height} (${done.confirmations} confirmations)`)
          sent = sent.filter((entry) => entry.id !== payment.id)
          saveSent(sent)
        },
        (error) => {
          li.dataset.status = 'failed'
          line(`${error.code ?? 'error'}: ${error.message}`)
          li.classList.add('error')
          sent = sent.filter((entry) => entry.id !== payment.id)
          saveSent(sent)
        },
      )
  }
  for (const payment of sent) follow(payment)

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
    const button = $('send-form').querySelector('button')
    button.disabled = true
    try {
      const from = wallet()
      const amount = parsePaw($('send-amount').value, 'amount')
      const fee = parsePaw($('send-fee').value, 'fee')
      const to = fromHex($('send-to').value.trim())
      // The nonce the network has for this account, past the payments of ours still on their way.
      const { account } = await node.getAccount(from.address)
      const fromHexAddress = toHex(from.address)
      const ours = sent.filter((entry) => entry.from === fromHexAddress).map((entry) => BigInt(entry.nonce))
      const nonce = ours.reduce((next, n) => (n >= next ? n + 1n : next), account.nonce)
      const transaction = signTransaction(
        { from: from.address, to, amount, fee, nonce },
        from.privateKey,
        chainId,
      )
      const result = await node.submitTransaction(transaction)
      const payment = {
        id: result.id,
        from: fromHexAddress,
        to: toHex(to),
        amount: formatPaw(amount),
        nonce: String(nonce),
      }
      sent.push(payment)
      saveSent(sent)
      follow(payment)
      show('send-result', `sent ${result.id} to ${result.recipients} peer(s)`)
    } catch (error) {
      show('send-result', String(error.message ?? error), true)
    } finally {
      button.disabled = false
    }
  })
}

main().catch((error) => show('status', String(error?.stack ?? error), true))
