from dledger.cli import main

main()
