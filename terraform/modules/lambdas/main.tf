# The six Lambdas (provided.al2023, from cargo-lambda's zips), one role each with only the calls
# its handler makes.

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

locals {
  account = data.aws_caller_identity.current.account_id
  region  = data.aws_region.current.name
  # Built from names, not from the pipeline's resources: the machine's definition names these
  # functions, so the functions cannot depend on the machine.
  state_machine_arn = "arn:aws:states:${local.region}:${local.account}:stateMachine:${var.state_machine_name}"
  alias_arn         = "${local.state_machine_arn}:${var.trigger_channel}"
  executions        = "arn:aws:states:${local.region}:${local.account}:execution:${var.state_machine_name}:*"
  uploads           = "arn:aws:s3:::${var.bucket_names["uploads"]}"
  work              = "arn:aws:s3:::${var.bucket_names["work"]}"
  products          = "arn:aws:s3:::${var.bucket_names["products"]}"

  read_write_key = {
    Effect   = "Allow"
    Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
    Resource = [var.kms_key_arn]
  }

  # Per function: its settings and the statements its handler needs (lambdas/handlers/src).
  functions = {
    trigger = {
      timeout = 60
      environment = {
        LEADLINE_STATE_MACHINE_ARN = local.alias_arn
      }
      statements = [
        { Effect = "Allow", Action = ["s3:ListBucket"], Resource = [local.uploads] },
        { Effect = "Allow", Action = ["s3:GetObject"], Resource = ["${local.uploads}/*"] },
        { Effect = "Allow", Action = ["states:StartExecution"], Resource = [local.alias_arn] },
        { Effect = "Allow", Action = ["states:DescribeExecution"], Resource = [local.executions] },
        local.read_write_key,
      ]
    }
    inventory = {
      timeout     = 900
      environment = {}
      statements = [
        { Effect = "Allow", Action = ["s3:ListBucket"], Resource = [local.uploads] },
        { Effect = "Allow", Action = ["s3:GetObject"], Resource = ["${local.uploads}/*"] },
        { Effect = "Allow", Action = ["s3:PutObject", "s3:AbortMultipartUpload"], Resource = ["${local.work}/*"] },
        local.read_write_key,
      ]
    }
    plan = {
      timeout = 60
      environment = var.predicates == "" ? {} : {
        LEADLINE_PREDICATES = var.predicates
      }
      statements = [
        { Effect = "Allow", Action = ["s3:GetObject"], Resource = ["${local.uploads}/*", "${local.work}/*"] },
        local.read_write_key,
      ]
    }
    publish = {
      timeout     = 900
      environment = {}
      statements = [
        { Effect = "Allow", Action = ["s3:ListBucket"], Resource = [local.work, local.products] },
        { Effect = "Allow", Action = ["s3:GetObject"], Resource = ["${local.work}/*", "${local.products}/*"] },
        { Effect = "Allow", Action = ["s3:PutObject", "s3:AbortMultipartUpload"], Resource = ["${local.products}/*"] },
        { Effect = "Allow", Action = ["states:GetExecutionHistory"], Resource = [local.executions] },
        { Effect = "Allow", Action = ["ecs:DescribeTasks"], Resource = ["arn:aws:ecs:${local.region}:${local.account}:task/${var.cluster_name}/*"] },
        local.read_write_key,
      ]
    }
    api = {
      timeout = 30
      environment = {
        LEADLINE_STATE_MACHINE_ARN = local.alias_arn
        LEADLINE_UPLOADS_BUCKET    = var.bucket_names["uploads"]
        LEADLINE_PRODUCTS_BUCKET   = var.bucket_names["products"]
      }
      statements = [
        { Effect = "Allow", Action = ["s3:ListBucket"], Resource = [local.uploads, local.products] },
        { Effect = "Allow", Action = ["s3:GetObject"], Resource = ["${local.uploads}/*", "${local.products}/*"] },
        { Effect = "Allow", Action = ["states:StartExecution"], Resource = [local.alias_arn] },
        { Effect = "Allow", Action = ["states:ListExecutions"], Resource = [local.state_machine_arn, local.alias_arn] },
        {
          Effect   = "Allow"
          Action   = ["states:DescribeExecution", "states:GetExecutionHistory", "states:StopExecution", "states:RedriveExecution"]
          Resource = [local.executions]
        },
        local.read_write_key,
      ]
    }
    notify = {
      timeout = 60
      environment = merge(
        { LEADLINE_WEBHOOKS_SECRET = aws_secretsmanager_secret.webhooks.arn },
        var.run_link == "" ? {} : { LEADLINE_RUN_LINK = var.run_link },
      )
      statements = [
        { Effect = "Allow", Action = ["secretsmanager:GetSecretValue"], Resource = [aws_secretsmanager_secret.webhooks.arn] },
        { Effect = "Allow", Action = ["states:GetExecutionHistory"], Resource = [local.executions] },
        local.read_write_key,
      ]
    }
  }
}

# The webhook URLs carry credentials, so they live in Secrets Manager, set out of band
# (docs/deploy.md), never in Terraform state.
resource "aws_secretsmanager_secret" "webhooks" {
  #checkov:skip=CKV2_AWS_57:Webhook URLs are issued by the receiving services; there is nothing a rotation Lambda could renew.
  name       = "${var.name_prefix}/webhooks"
  kms_key_id = var.kms_key_arn
}

# Failed asynchronous invocations (trigger and notify, from EventBridge) land here.
resource "aws_sqs_queue" "dead_letters" {
  name                      = "${var.name_prefix}-lambda-dead-letters"
  kms_master_key_id         = var.kms_key_arn
  message_retention_seconds = 1209600
}

resource "aws_cloudwatch_log_group" "function" {
  for_each          = local.functions
  name              = "/aws/lambda/${var.name_prefix}-${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_iam_role" "function" {
  for_each = local.functions
  name     = "${var.name_prefix}-${each.key}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "function" {
  for_each = local.functions
  name     = "${each.key}-calls"
  role     = aws_iam_role.function[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(each.value.statements, [
      {
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["${aws_cloudwatch_log_group.function[each.key].arn}:*"]
      },
      # X-Ray's write actions have no resource-level permissions.
      { Effect = "Allow", Action = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource = ["*"] },
      { Effect = "Allow", Action = ["sqs:SendMessage"], Resource = [aws_sqs_queue.dead_letters.arn] },
    ])
  })
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_117:The functions call only public AWS APIs with IAM; nothing they reach lives in the VPC.
  #checkov:skip=CKV_AWS_272:The zips are built from the tagged commit by cargo-lambda in CI; there is no AWS Signer profile to sign with.
  for_each                       = local.functions
  function_name                  = "${var.name_prefix}-${each.key}"
  role                           = aws_iam_role.function[each.key].arn
  filename                       = "${var.package_dir}/${each.key}/bootstrap.zip"
  source_code_hash               = filebase64sha256("${var.package_dir}/${each.key}/bootstrap.zip")
  handler                        = "bootstrap"
  runtime                        = "provided.al2023"
  architectures                  = [var.architecture]
  memory_size                    = 512
  timeout                        = each.value.timeout
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = var.kms_key_arn

  environment {
    variables = merge({ RUST_LOG = "info" }, each.value.environment)
  }

  tracing_config {
    mode = "Active"
  }

  dead_letter_config {
    target_arn = aws_sqs_queue.dead_letters.arn
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.function[each.key].name
  }

  depends_on = [aws_iam_role_policy.function]
}
