# The prod deployment. State lives in S3 (docs/deploy.md creates the bucket):
#   terraform init -backend-config="bucket=<state bucket>" -backend-config="region=<region>"
terraform {
  required_version = ">= 1.10"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
  }
  backend "s3" {
    key          = "leadline/prod.tfstate"
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = { Project = "leadline", Environment = "prod" }
  }
}

variable "region" {
  description = "environments/prod.toml region."
  type        = string
  default     = "eu-west-2"
}

variable "image_tag" {
  description = "Tag of the job images pushed for this release (docs/deploy.md)."
  type        = string
}

variable "installers" {
  description = "bucket/prefix of the private location of the CARIS installer and leadline-worker.exe."
  type        = string
}

variable "pinned_versions" {
  description = "Channel → state-machine version ARN it stays on."
  type        = map(string)
  default     = {}
}

module "leadline" {
  source             = "../../modules/deployment"
  name_prefix        = "leadline-prod"
  definition_file    = "${path.root}/../../../state-machines/prod/survey.asl.json"
  lambda_package_dir = "${path.root}/../../../target/lambda"
  image_tag          = var.image_tag
  vpc_cidr           = "10.41.0.0/16"
  zone_ids           = ["euw2-az1", "euw2-az2", "euw2-az3"]
  trigger_channel    = "prod"
  pinned_versions    = var.pinned_versions
  installers         = var.installers
  log_level          = "ERROR"
  work_expiry_days   = 30
  host_instance_type = "m6i.4xlarge"
}
