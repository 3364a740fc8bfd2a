output "vpc_id" {
  value = aws_vpc.this.id
}

output "subnet_ids" {
  description = "The private subnets: environments/<env>.toml fargate.subnets."
  value       = aws_subnet.private[*].id
}

output "workload_security_group_id" {
  description = "environments/<env>.toml fargate.security_groups."
  value       = aws_security_group.workloads.id
}

output "image_build_security_group_id" {
  description = "Security group for the host that runs packer (docs/deploy.md)."
  value       = aws_security_group.image_build.id
}

output "cidr_block" {
  value = var.cidr_block
}
