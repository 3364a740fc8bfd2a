variable "name_prefix" {
  description = "Prefix of every named resource; the activity is <prefix>-processor."
  type        = string
}

variable "state_machine_name" {
  description = "Name of the survey state machine."
  type        = string
}

variable "definition_file" {
  description = "The rendered machine, state-machines/<env>/survey.asl.json (never edited by hand: leadline render)."
  type        = string
}

variable "function_arns" {
  description = "The Lambda functions the machine invokes."
  type        = list(string)
}

variable "cluster_arn" {
  description = "The ECS cluster the machine's jobs run in."
  type        = string
}

variable "cluster_name" {
  description = "Its name: the tasks the machine may watch and stop are <cluster>/*."
  type        = string
}

variable "task_definitions" {
  description = "The task definitions the machine runs: family ARN (no revision) and the roles ECS needs passed."
  type = list(object({
    arn                = string
    task_role_arn      = string
    execution_role_arn = string
  }))
}

variable "host_tag" {
  description = "Value of the processor host's leadline:role tag; the machine may start and stop only that instance."
  type        = string
}

variable "channels" {
  description = "Release channels: one alias each."
  type        = set(string)
  default     = ["dev", "stage", "prod"]
}

variable "pinned_versions" {
  description = "Channel → state-machine version ARN it stays on; a channel not listed follows the newest published version. Promotion moves a pin, nothing is rebuilt."
  type        = map(string)
  default     = {}
}

variable "log_level" {
  description = "Execution log level: ALL, ERROR, FATAL or OFF."
  type        = string
  default     = "ERROR"
  validation {
    condition     = contains(["ALL", "ERROR", "FATAL", "OFF"], var.log_level)
    error_message = "log_level must be ALL, ERROR, FATAL or OFF."
  }
}

variable "log_retention_days" {
  description = "Retention of the execution logs."
  type        = number
}

variable "kms_key_arn" {
  description = "Key of the log group."
  type        = string
}
