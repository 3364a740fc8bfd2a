variable "name_prefix" {
  description = "Prefix of every named resource (environments/<env>.toml name_prefix)."
  type        = string
}

variable "definition_file" {
  description = "The rendered state machine, state-machines/<env>/survey.asl.json."
  type        = string
}

variable "lambda_package_dir" {
  description = "cargo-lambda's output directory (target/lambda)."
  type        = string
}

variable "image_tag" {
  description = "Tag of the job images pushed for this release."
  type        = string
}

variable "vpc_cidr" {
  description = "Address range of the deployment's VPC."
  type        = string
}

variable "zone_ids" {
  description = "Availability-zone ids with a private subnet each (one Fargate subnet per zone)."
  type        = list(string)
}

variable "trigger_channel" {
  description = "The channel (alias) that uploads and API requests start."
  type        = string
}

variable "pinned_versions" {
  description = "Channel → state-machine version ARN it stays on (promotion)."
  type        = map(string)
  default     = {}
}

variable "log_level" {
  description = "Step Functions execution log level."
  type        = string
  default     = "ERROR"
}

variable "log_retention_days" {
  description = "Retention of every log group."
  type        = number
  default     = 365
}

variable "work_expiry_days" {
  description = "Days before scratch in the work bucket expires."
  type        = number
  default     = 30
}

variable "host_instance_type" {
  description = "Instance type of the processor host."
  type        = string
  default     = "m6i.4xlarge"
}

variable "installers" {
  description = "bucket/prefix of the private location of the CARIS installer and leadline-worker.exe (image builds only)."
  type        = string
}
