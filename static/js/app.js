// Progressive enhancement for Hiến kế. Every feature here also works without JavaScript.
"use strict";
