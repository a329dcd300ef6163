/** Matches a method and path against the route table; `:name` path segments become params. */
import type { Route } from './route-types.ts'

export type Match =
  | { kind: 'route'; route: Route; params: Record<string, string> }
  /** The path exists for other methods only (405, with these in the Allow header). */
  | { kind: 'method'; allow: string[] }
  | { kind: 'none' }

interface Compiled {
  route: Route
  pattern: RegExp
  names: string[]
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

function compile(route: Route): Compiled {
  const names: string[] = []
  const source = route.path
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':')) return escapeRegExp(segment)
      names.push(segment.slice(1))
      return '([^/]+)'
    })
    .join('/')
  return { route, pattern: new RegExp(`^${source}$`), names }
}

export class Router {
  readonly #routes: Compiled[]

  constructor(routes: readonly Route[]) {
    this.#routes = routes.map(compile)
  }

  match(method: string, path: string): Match {
    const allow: string[] = []
    for (const { route, pattern, names } of this.#routes) {
      const found = pattern.exec(path)
      if (found === null) continue
      if (route.method !== method) {
        allow.push(route.method)
        continue
      }
      const params: Record<string, string> = {}
      names.forEach((name, index) => {
        params[name] = found[index + 1] as string
      })
      return { kind: 'route', route, params }
    }
    return allow.length > 0 ? { kind: 'method', allow } : { kind: 'none' }
  }
}
