"""neiqin_xl: the 销售内勤 toolkit."""
__version__ = "0.1.0"
