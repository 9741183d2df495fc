"""Local stand-ins of the PSA products (ConnectWise PSA, Autotask, HaloPSA): one HTTPS
server, a path prefix per product. See common.py; run with `python -m integrations.psa.emulator`."""

from .common import PRODUCTS, Product, PsaEmulator, register_product

__all__ = ["PRODUCTS", "Product", "PsaEmulator", "register_product"]
