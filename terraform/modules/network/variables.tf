variable "name_prefix" {
  description = "Prefix of every named resource, e.g. leadline-dev."
  type        = string
}

variable "cidr_block" {
  description = "The VPC's address range; private subnets are carved from it."
  type        = string
}

variable "zone_ids" {
  description = "Availability-zone ids (e.g. euw2-az1) that get a private subnet each: ids, not names, so the set is fixed and the same in every account."
  type        = list(string)
}

variable "interface_endpoints" {
  description = "AWS services reached through interface endpoints, so no NAT gateway is needed: ECR and Logs for Fargate, Step Functions and Secrets Manager for the worker and jobs, SSM for Session Manager on the host, EC2 and STS for packer building the host's image from inside the VPC."
  type        = set(string)
  default     = ["ecr.api", "ecr.dkr", "logs", "states", "secretsmanager", "ssm", "ssmmessages", "ec2messages", "ec2", "sts"]
}

variable "kms_key_arn" {
  description = "Key encrypting the flow-log group."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the flow logs."
  type        = number
}
