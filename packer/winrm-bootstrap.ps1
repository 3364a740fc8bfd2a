<powershell>
# Lets packer reach the build instance over WinRM/HTTPS with a throw-away self-signed
# certificate; the image is generalised afterwards (ec2launch reset).
$ErrorActionPreference = 'Stop'
$cert = New-SelfSignedCertificate -CertStoreLocation Cert:\LocalMachine\My -DnsName 'packer'
Remove-Item -Path WSMan:\Localhost\Listener\* -Recurse -Force -ErrorAction SilentlyContinue
New-Item -Path WSMan:\LocalHost\Listener -Transport HTTPS -Address * -CertificateThumbPrint $cert.Thumbprint -Force | Out-Null
Set-Item -Path WSMan:\LocalHost\Service\Auth\Basic -Value $true
New-NetFirewallRule -DisplayName 'WinRM HTTPS (packer)' -Direction Inbound -Protocol TCP -LocalPort 5986 -Action Allow | Out-Null
Restart-Service WinRM
</powershell>
