from demo_app import main


def test_main(capsys):
    main()
    assert capsys.readouterr().out == "Hello from demo-app!\n"
