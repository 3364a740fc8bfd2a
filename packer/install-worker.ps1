# Installs leadline-worker as a service (workers/processor-host/WINDOWS.md): delayed start, its
# own virtual account, which may write only the work root. Settings come at boot from the
# host's user data.
$ErrorActionPreference = 'Stop'
if ($env:LEADLINE_WORKER -notmatch '^s3://([^/]+)/(.+)$') {
  throw "LEADLINE_WORKER must be s3://bucket/key, not '$env:LEADLINE_WORKER'"
}
$home_dir = Join-Path $env:ProgramFiles 'Leadline'
New-Item -ItemType Directory -Force -Path $home_dir | Out-Null
$binary = Join-Path $home_dir 'leadline-worker.exe'
Read-S3Object -BucketName $Matches[1] -Key $Matches[2] -File $binary | Out-Null
& $binary --version
if ($LASTEXITCODE -ne 0) { throw "leadline-worker --version exited with $LASTEXITCODE" }

sc.exe create leadline-worker binPath= "`"$binary`"" start= delayed-auto obj= 'NT SERVICE\leadline-worker'
if ($LASTEXITCODE -ne 0) { throw "sc.exe create exited with $LASTEXITCODE" }
sc.exe failure leadline-worker reset= 86400 actions= restart/10000/restart/10000/restart/60000
# Above the worker's 10-second kill grace plus a checkpoint sync, as the systemd unit's 120 s.
sc.exe config leadline-worker start= delayed-auto
New-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Services\leadline-worker' -Name PreshutdownTimeout -PropertyType DWord -Value 120000 -Force | Out-Null

$work = 'C:\leadline\work'
New-Item -ItemType Directory -Force -Path $work | Out-Null
icacls $work /grant 'NT SERVICE\leadline-worker:(OI)(CI)M' | Out-Null
