# One whole deployment, composed once so dev and prod differ only in their settings.

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

locals {
  state_machine_name = "${var.name_prefix}-survey"
  host_tag           = "${var.name_prefix}-processor"
  # The functions the survey machine invokes (the others are started by events and the API).
  machine_functions = ["inventory", "plan", "publish"]
}

module "storage" {
  source           = "../storage"
  name_prefix      = var.name_prefix
  work_expiry_days = var.work_expiry_days
}

module "network" {
  source             = "../network"
  name_prefix        = var.name_prefix
  cidr_block         = var.vpc_cidr
  zone_ids           = var.zone_ids
  kms_key_arn        = module.storage.kms_key_arn
  log_retention_days = var.log_retention_days
}

module "lambdas" {
  source             = "../lambdas"
  name_prefix        = var.name_prefix
  package_dir        = var.lambda_package_dir
  bucket_names       = module.storage.bucket_names
  kms_key_arn        = module.storage.kms_key_arn
  state_machine_name = local.state_machine_name
  trigger_channel    = var.trigger_channel
  cluster_name       = module.jobs.cluster_name
  log_retention_days = var.log_retention_days
}

module "jobs" {
  source             = "../jobs"
  name_prefix        = var.name_prefix
  image_tag          = var.image_tag
  bucket_names       = module.storage.bucket_names
  kms_key_arn        = module.storage.kms_key_arn
  log_retention_days = var.log_retention_days
}

module "pipeline" {
  source             = "../pipeline"
  name_prefix        = var.name_prefix
  state_machine_name = local.state_machine_name
  definition_file    = var.definition_file
  function_arns      = [for f in local.machine_functions : module.lambdas.function_arns[f]]
  cluster_arn        = module.jobs.cluster_arn
  cluster_name       = module.jobs.cluster_name
  task_definitions   = values(module.jobs.task_definitions)
  host_tag           = local.host_tag
  pinned_versions    = var.pinned_versions
  log_level          = var.log_level
  log_retention_days = var.log_retention_days
  kms_key_arn        = module.storage.kms_key_arn
}

module "processor_host" {
  source            = "../processor_host"
  name_prefix       = var.name_prefix
  host_tag          = local.host_tag
  instance_type     = var.host_instance_type
  subnet_id         = module.network.subnet_ids[0]
  security_group_id = module.network.workload_security_group_id
  activity_arn      = module.pipeline.activity_arn
  bucket_names      = module.storage.bucket_names
  kms_key_arn       = module.storage.kms_key_arn
  installers        = var.installers
}

module "api" {
  source             = "../api"
  name_prefix        = var.name_prefix
  function_name      = module.lambdas.function_names["api"]
  function_arn       = module.lambdas.function_arns["api"]
  kms_key_arn        = module.storage.kms_key_arn
  log_retention_days = var.log_retention_days
}

module "events" {
  source            = "../events"
  name_prefix       = var.name_prefix
  uploads_bucket    = module.storage.bucket_names["uploads"]
  state_machine_arn = module.pipeline.state_machine_arn
  functions = {
    for f in ["trigger", "notify"] : f => {
      name = module.lambdas.function_names[f]
      arn  = module.lambdas.function_arns[f]
    }
  }
}
