variable "name_prefix" {
  description = "Prefix of every named resource; functions are <prefix>-<function>."
  type        = string
}

variable "package_dir" {
  description = "Directory holding cargo-lambda's output: <package_dir>/<function>/bootstrap.zip."
  type        = string
}

variable "architecture" {
  description = "x86_64, or arm64 when the zips were built with cargo lambda build --arm64."
  type        = string
  default     = "x86_64"
}

variable "bucket_names" {
  description = "uploads, work, products → bucket name."
  type        = map(string)
}

variable "kms_key_arn" {
  description = "Key of the buckets, log groups, queue, secret and function settings."
  type        = string
}

variable "state_machine_name" {
  description = "The survey state machine."
  type        = string
}

variable "trigger_channel" {
  description = "The alias (release channel) that new uploads and API requests start."
  type        = string
}

variable "cluster_name" {
  description = "ECS cluster whose tasks publish describes (image digests for the manifest)."
  type        = string
}

variable "predicates" {
  description = "JSON for plan's LEADLINE_PREDICATES; empty keeps the built-in branch rules."
  type        = string
  default     = ""
}

variable "run_link" {
  description = "Optional LEADLINE_RUN_LINK for notify's webhook messages."
  type        = string
  default     = ""
}

variable "reserved_concurrency" {
  description = "Concurrency cap per function, so a flood of uploads cannot starve the account."
  type        = number
  default     = 20
}

variable "log_retention_days" {
  description = "Retention of the functions' log groups."
  type        = number
}
