/**
 * V8's sampling CPU profiler in the node under test's process (node:inspector), started
 * and stopped around the profiled PAW relay round of bench/load case 2 (--profile), so the
 * profile holds the relay and not the node's start-up. The profile is written as a
 * .cpuprofile (Chrome DevTools, or profile-report.ts, read it).
 */
import { writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import type { CpuProfile } from './profile-report.ts'

/** 200 µs: a 5,000-transaction round at ~0.5 ms each gives ~12,000 samples. */
const SAMPLING_INTERVAL_US = 200

let session: Session | undefined

export async function startProfile(): Promise<void> {
  if (session !== undefined) throw new Error('the profiler is already running')
  const s = new Session()
  s.connect()
  await s.post('Profiler.enable')
  await s.post('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US })
  await s.post('Profiler.start')
  session = s
}

/** Stops the profiler and writes its profile to `file`; resolves with the sample count. */
export async function stopProfile(file: string): Promise<{ samples: number }> {
  const s = session
  if (s === undefined) throw new Error('the profiler is not running')
  session = undefined
  try {
    const { profile } = await s.post('Profiler.stop')
    await writeFile(file, JSON.stringify(profile))
    return { samples: (profile as CpuProfile).samples?.length ?? 0 }
  } finally {
    await s.post('Profiler.disable').catch(() => undefined)
    s.disconnect()
  }
}
