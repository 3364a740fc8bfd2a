output "instance_id" {
  description = "environments/<env>.toml processor.instance_id."
  value       = aws_instance.host.id
}

output "licence_secret_arn" {
  description = "Put the CARIS licence here (docs/deploy.md)."
  value       = aws_secretsmanager_secret.licence.arn
}

output "image_build_instance_profile" {
  description = "packer's build_instance_profile."
  value       = aws_iam_instance_profile.image_build.name
}
