def main() -> None:
    print("Hello from demo-app!")
