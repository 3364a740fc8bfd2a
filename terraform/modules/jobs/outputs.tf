output "cluster_arn" {
  value = aws_ecs_cluster.this.arn
}

output "cluster_name" {
  value = aws_ecs_cluster.this.name
}

output "task_definitions" {
  description = "job → family ARN (no revision) and the two roles the state machine passes when it runs the job."
  value = {
    for k, t in aws_ecs_task_definition.job : k => {
      arn                = t.arn_without_revision
      task_role_arn      = t.task_role_arn
      execution_role_arn = t.execution_role_arn
    }
  }
}

output "repository_urls" {
  description = "job → ECR repository to push its image to (docs/deploy.md)."
  value       = { for k, r in aws_ecr_repository.job : k => r.repository_url }
}
