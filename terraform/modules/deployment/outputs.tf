output "environment" {
  description = "What environments/<env>.toml records from this deployment; render the machines again after changing it."
  value = {
    account         = data.aws_caller_identity.current.account_id
    region          = data.aws_region.current.name
    name_prefix     = var.name_prefix
    buckets         = module.storage.bucket_names
    cluster         = module.jobs.cluster_name
    subnets         = module.network.subnet_ids
    security_groups = [module.network.workload_security_group_id]
    activity        = module.pipeline.activity_name
    instance_id     = module.processor_host.instance_id
    host_tag        = local.host_tag
  }
}

output "repository_urls" {
  description = "job image → ECR repository to push it to."
  value       = module.jobs.repository_urls
}

output "api_endpoint" {
  value = module.api.endpoint
}

output "state_machine_arn" {
  value = module.pipeline.state_machine_arn
}

output "version_arn" {
  description = "The state-machine version this apply published."
  value       = module.pipeline.version_arn
}

output "alias_arns" {
  value = module.pipeline.alias_arns
}

output "licence_secret_arn" {
  value = module.processor_host.licence_secret_arn
}

output "webhooks_secret_arn" {
  value = module.lambdas.webhooks_secret_arn
}

output "image_build" {
  description = "packer's settings (packer/example.pkrvars.hcl) and the security group of the host that runs it."
  value = {
    subnet_id              = module.network.subnet_ids[0]
    build_cidr             = module.network.cidr_block
    build_instance_profile = module.processor_host.image_build_instance_profile
    security_group_id      = module.network.image_build_security_group_id
  }
}
