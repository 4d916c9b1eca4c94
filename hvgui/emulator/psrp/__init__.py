"""The PowerShell Remoting Protocol side of the emulator: runspace pools and pipelines over psrpcore."""
