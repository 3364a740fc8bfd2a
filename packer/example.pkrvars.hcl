# The variables of processor-host.pkr.hcl, with example values: copy this file, fill in the
# values from your deployment (docs/deploy.md), and pass it with -var-file. scripts/check-infra
# validates the template with it as is.
region                 = "eu-west-2"
subnet_id              = "subnet-0123456789abcdef0"
build_cidr             = "10.40.0.0/16"
build_instance_profile = "leadline-dev-image-build"
caris_installer        = "s3://example-installers/caris/HIPSandSIPS-11.4-x64.exe"
worker                 = "s3://example-installers/leadline/leadline-worker.exe"
