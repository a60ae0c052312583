from crm_pipelines.cli import main

raise SystemExit(main())
