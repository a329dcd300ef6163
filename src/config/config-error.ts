/** A setting with a bad value. `key` is its config.toml name, e.g. `p2p.max_inbound`. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  readonly code = 'ERR_INVALID_CONFIG'
  readonly key: string
  /** What is wrong, without the setting's name. */
  readonly detail: string

  constructor(key: string, detail: string, message = `invalid setting ${key}: ${detail}`) {
    super(message)
    this.key = key
    this.detail = detail
  }

  /**
   * The same error as a library caller should read it: by the option they passed
   * (`maxInbound`, `limits.maxInbound`), with the config.toml key after it for the docs.
   */
  forOption(option: string): ConfigError {
    const error = new ConfigError(
      this.key,
      this.detail,
      `invalid option ${option} (${this.key} in config.toml): ${this.detail}`,
    )
    error.stack = this.stack
    return error
  }
}
