#!/usr/bin/env python
from cuakhau.cli import main

if __name__ == "__main__":
    main()
