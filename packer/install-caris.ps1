# Installs CARIS HIPS and SIPS unattended from a private S3 location. No licence: the worker
# fetches it from Secrets Manager when it starts.
$ErrorActionPreference = 'Stop'
if ($env:CARIS_INSTALLER -notmatch '^s3://([^/]+)/(.+)$') {
  throw "CARIS_INSTALLER must be s3://bucket/key, not '$env:CARIS_INSTALLER'"
}
$installer = Join-Path $env:TEMP (Split-Path $Matches[2] -Leaf)
Read-S3Object -BucketName $Matches[1] -Key $Matches[2] -File $installer | Out-Null
$process = Start-Process -FilePath $installer -ArgumentList $env:CARIS_ARGUMENTS -Wait -PassThru
if ($process.ExitCode -notin 0, 3010) {
  throw "the CARIS installer exited with $($process.ExitCode)"
}
Remove-Item $installer
if (-not (Test-Path (Join-Path $env:CARISBATCH_DIR 'carisbatch.exe'))) {
  throw "carisbatch.exe is not in $env:CARISBATCH_DIR: set the carisbatch variable to the release's bin folder"
}
$path = [Environment]::GetEnvironmentVariable('Path', 'Machine')
if (($path -split ';') -notcontains $env:CARISBATCH_DIR) {
  [Environment]::SetEnvironmentVariable('Path', "$path;$env:CARISBATCH_DIR", 'Machine')
}
