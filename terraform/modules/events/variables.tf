variable "name_prefix" {
  description = "Prefix of every named resource."
  type        = string
}

variable "uploads_bucket" {
  description = "Name of the uploads bucket."
  type        = string
}

variable "state_machine_arn" {
  description = "The survey state machine whose status changes are notified."
  type        = string
}

variable "functions" {
  description = "trigger and notify → { name, arn }."
  type = map(object({
    name = string
    arn  = string
  }))
}
