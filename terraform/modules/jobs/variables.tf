variable "name_prefix" {
  description = "Prefix of every named resource; the cluster is <prefix>, task families <prefix>-<job>."
  type        = string
}

variable "jobs" {
  description = "Job image (a target of jobs/docker/Dockerfile) → Fargate size. Each gets an ECR repository and a task definition."
  type = map(object({
    cpu          = number
    memory       = number
    ephemeral_gb = number
  }))
  default = {
    qc   = { cpu = 2048, memory = 8192, ephemeral_gb = 100 }
    gdal = { cpu = 2048, memory = 8192, ephemeral_gb = 100 }
  }
}

variable "image_tag" {
  description = "Tag of the job images to run (tags are immutable: a release's tag names one digest)."
  type        = string
}

variable "container_name" {
  description = "The container whose command the state machine overrides (environments/<env>.toml fargate.container)."
  type        = string
  default     = "job"
}

variable "bucket_names" {
  description = "uploads, work, products → bucket name."
  type        = map(string)
}

variable "kms_key_arn" {
  description = "Key of the buckets, repositories and log groups."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the jobs' log groups."
  type        = number
}
