variable "name_prefix" {
  description = "Prefix of every named resource; buckets are <prefix>-uploads, -work, -products."
  type        = string
}

variable "work_expiry_days" {
  description = "Days after which objects in the work bucket (run scratch, checkpoints, cache) expire."
  type        = number
  default     = 30
}

variable "noncurrent_expiry_days" {
  description = "Days a replaced or deleted object version is kept."
  type        = number
  default     = 90
}

variable "access_log_expiry_days" {
  description = "Days S3 access logs are kept."
  type        = number
  default     = 365
}
