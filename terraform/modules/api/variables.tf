variable "name_prefix" {
  description = "Prefix of every named resource."
  type        = string
}

variable "function_name" {
  description = "The api Lambda."
  type        = string
}

variable "function_arn" {
  description = "The api Lambda's ARN."
  type        = string
}

variable "kms_key_arn" {
  description = "Key of the access-log group."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the access logs."
  type        = number
}

variable "throttle_rate" {
  description = "Steady requests per second the API accepts."
  type        = number
  default     = 20
}
