from it2en.cli import main

main()
