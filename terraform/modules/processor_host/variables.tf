variable "name_prefix" {
  description = "Prefix of every named resource."
  type        = string
}

variable "host_tag" {
  description = "Value of the host's leadline:role tag: the state machine starts, stops and waits for the instance carrying it (environments/<env>.toml processor.host_tag)."
  type        = string
}

variable "ami_name_prefix" {
  description = "Name prefix of the Packer-built AMIs (packer/processor-host.pkr.hcl); the newest one owned by this account is used."
  type        = string
  default     = "leadline-processor-host-"
}

variable "instance_type" {
  description = "CARIS HIPS and SIPS wants many cores and memory for gridding."
  type        = string
  default     = "m6i.4xlarge"
}

variable "volume_gb" {
  description = "Size of the encrypted system volume holding the work folder."
  type        = number
  default     = 500
}

variable "subnet_id" {
  description = "Private subnet of the host (no public IP; AWS APIs through VPC endpoints)."
  type        = string
}

variable "security_group_id" {
  description = "Security group allowing HTTPS to AWS APIs only."
  type        = string
}

variable "activity_arn" {
  description = "The Step Functions activity the worker polls."
  type        = string
}

variable "bucket_names" {
  description = "uploads, work, products → bucket name."
  type        = map(string)
}

variable "checkpoint_prefix" {
  description = "Key prefix in the work bucket where the worker checkpoints work folders (environments/<env>.toml processor.checkpoint)."
  type        = string
  default     = "processor/"
}

variable "kms_key_arn" {
  description = "Key of the buckets and the licence secret."
  type        = string
}

variable "installers" {
  description = "bucket/prefix (no s3://) of the private location holding the CARIS installer and leadline-worker.exe; only the image build reads it."
  type        = string
}
