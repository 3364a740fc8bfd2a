output "environment" {
  description = "Copy into environments/prod.toml, then leadline render."
  value       = module.leadline.environment
}

output "repository_urls" {
  value = module.leadline.repository_urls
}

output "api_endpoint" {
  value = module.leadline.api_endpoint
}

output "state_machine_arn" {
  value = module.leadline.state_machine_arn
}

output "version_arn" {
  value = module.leadline.version_arn
}

output "alias_arns" {
  value = module.leadline.alias_arns
}

output "licence_secret_arn" {
  value = module.leadline.licence_secret_arn
}

output "webhooks_secret_arn" {
  value = module.leadline.webhooks_secret_arn
}

output "image_build" {
  value = module.leadline.image_build
}
