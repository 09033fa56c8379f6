"""Purchase orders. Minimal stand-in written on the `replenishment` branch; the `purchasing`
branch holds the full version (same module path and signature), which replaces this one."""
