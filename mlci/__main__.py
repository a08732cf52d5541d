from mlci.cli import program

program()
