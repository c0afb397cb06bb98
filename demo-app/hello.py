from importlib.metadata import version
import httpx, rich
print("httpx", version("httpx"), "and rich", version("rich"), "imported")
