# Fargate jobs: the cluster, one ECR repository and task definition per job image, their roles.

data "aws_region" "current" {}

locals {
  uploads = "arn:aws:s3:::${var.bucket_names["uploads"]}"
  work    = "arn:aws:s3:::${var.bucket_names["work"]}"
}

resource "aws_ecs_cluster" "this" {
  name = var.name_prefix
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]
  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

resource "aws_ecr_repository" "job" {
  for_each             = var.jobs
  name                 = "${var.name_prefix}/${each.key}"
  image_tag_mutability = "IMMUTABLE"
  image_scanning_configuration {
    scan_on_push = true
  }
  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.kms_key_arn
  }
}

resource "aws_ecr_lifecycle_policy" "job" {
  for_each   = var.jobs
  repository = aws_ecr_repository.job[each.key].name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the last 50 images; older releases are rebuilt from their tag if needed."
      selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = 50 }
      action       = { type = "expire" }
    }]
  })
}

resource "aws_cloudwatch_log_group" "job" {
  for_each          = var.jobs
  name              = "/leadline/${var.name_prefix}/jobs/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

# What ECS itself needs to start a job: pull its image, write its log stream.
resource "aws_iam_role" "execution" {
  for_each           = var.jobs
  name               = "${var.name_prefix}-${each.key}-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role_policy" "execution" {
  for_each = var.jobs
  name     = "pull-and-log"
  role     = aws_iam_role.execution[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      # GetAuthorizationToken has no resource-level permissions.
      { Effect = "Allow", Action = ["ecr:GetAuthorizationToken"], Resource = ["*"] },
      {
        Effect   = "Allow"
        Action   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
        Resource = [aws_ecr_repository.job[each.key].arn]
      },
      { Effect = "Allow", Action = ["kms:Decrypt"], Resource = [var.kms_key_arn] },
      {
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["${aws_cloudwatch_log_group.job[each.key].arn}:*"]
      },
    ]
  })
}

# What leadline-runner does inside the job: stage inputs from uploads and work, publish outputs
# and cache records to work.
resource "aws_iam_role" "task" {
  for_each           = var.jobs
  name               = "${var.name_prefix}-${each.key}-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role_policy" "task" {
  for_each = var.jobs
  name     = "stage-and-publish"
  role     = aws_iam_role.task[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["s3:ListBucket"], Resource = [local.uploads, local.work] },
      { Effect = "Allow", Action = ["s3:GetObject"], Resource = ["${local.uploads}/*", "${local.work}/*"] },
      { Effect = "Allow", Action = ["s3:PutObject", "s3:AbortMultipartUpload"], Resource = ["${local.work}/*"] },
      { Effect = "Allow", Action = ["kms:Decrypt", "kms:GenerateDataKey"], Resource = [var.kms_key_arn] },
    ]
  })
}

resource "aws_ecs_task_definition" "job" {
  for_each                 = var.jobs
  family                   = "${var.name_prefix}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = each.value.cpu
  memory                   = each.value.memory
  execution_role_arn       = aws_iam_role.execution[each.key].arn
  task_role_arn            = aws_iam_role.task[each.key].arn

  ephemeral_storage {
    size_in_gib = each.value.ephemeral_gb
  }

  # The root filesystem is read-only; the job contract's folders are task-scoped volumes.
  volume {
    name = "inputs"
  }
  volume {
    name = "outputs"
  }
  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([{
    name                   = var.container_name
    image                  = "${aws_ecr_repository.job[each.key].repository_url}:${var.image_tag}"
    essential              = true
    readonlyRootFilesystem = true
    mountPoints = [
      { sourceVolume = "inputs", containerPath = "/inputs", readOnly = false },
      { sourceVolume = "outputs", containerPath = "/outputs", readOnly = false },
      { sourceVolume = "tmp", containerPath = "/tmp", readOnly = false },
    ]
    environment = [{ name = "AWS_REGION", value = data.aws_region.current.name }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.job[each.key].name
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = each.key
      }
    }
  }])
}
