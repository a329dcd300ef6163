/** A setting with a bad value. `key` is its config.toml name, e.g. `p2p.max_inbound`. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  readonly code = 'ERR_INVALID_CONFIG'
  readonly key: string

  constructor(key: string, message: string) {
    super(`invalid setting ${key}: ${message}`)
    this.key = key
  }
}
